// LangChain's own JS client (@langchain/langgraph-sdk, unchanged) against portal-agent's Agent Protocol
// API, exercising what agent-chat-ui relies on. Run by tests/web/test_js_sdk.py with PORTAL_URL and
// PORTAL_TOKEN; prints one JSON object of what it saw, which the Python test asserts on.
import { Client } from "@langchain/langgraph-sdk";

const url = process.env.PORTAL_URL;
const client = new Client({ apiUrl: url, defaultHeaders: { Authorization: `Bearer ${process.env.PORTAL_TOKEN}` } });
const seen = {};

async function collect(parts) {
  const out = [];
  for await (const part of parts) out.push(part);
  return out;
}

seen.info = await (await fetch(`${url}/info`)).json();

const thread = await client.threads.create({ graphId: "agent", metadata: { purpose: "js sdk" } });
const threadId = thread.thread_id;
seen.searched = (await client.threads.search({ metadata: { graph_id: "agent" }, limit: 20 })).map((t) => t.thread_id);
seen.threadId = threadId;

const asked = await collect(
  client.runs.stream(threadId, "agent", {
    input: { messages: [{ role: "human", content: "how do I deploy widgets?" }] },
    streamMode: ["values", "updates", "messages-tuple", "custom"],
  }),
);
seen.askedEvents = [...new Set(asked.map((p) => p.event))];
seen.askedTokens = asked
  .filter((p) => p.event === "messages" && p.data[0].type === "AIMessageChunk")
  .map((p) => p.data[0].content)
  .join("");
seen.customKinds = asked.filter((p) => p.event === "custom").map((p) => p.data.type);

const restart = await collect(
  client.runs.stream(threadId, "agent", {
    input: { messages: [{ role: "human", content: "restart widget-lab" }] },
    streamMode: ["updates", "values"],
  }),
);
const interrupt = restart.filter((p) => p.event === "updates" && p.data.__interrupt__).map((p) => p.data.__interrupt__[0].value)[0];
seen.actionRequest = interrupt.action_requests[0].name;
seen.reviewDecisions = interrupt.review_configs[0].allowed_decisions;
seen.stateNext = (await client.threads.getState(threadId)).next;

const resumed = await collect(
  client.runs.stream(threadId, "agent", {
    command: { resume: { decisions: [{ type: "approve" }] } },
    streamMode: "values",
  }),
);
const values = resumed.filter((p) => p.event === "values");
seen.afterApproval = values[values.length - 1].data.messages.at(-1).content;

const history = await client.threads.getHistory(threadId, { limit: 50 });
seen.historyNewest = history[0].values.messages.at(-1).content;
seen.historyHadInterrupt = history.some((h) => (h.next || []).includes("approval"));

// A background run, joined; another joined as a stream from its start.
const background = await client.runs.create(threadId, "agent", {
  input: { messages: [{ role: "human", content: "what did widgets cost?" }] },
});
const joined = await client.runs.join(threadId, background.run_id);
seen.joinedLast = joined.messages.at(-1).content;
seen.runStatus = (await client.runs.get(threadId, background.run_id)).status;

const second = await client.runs.create(threadId, "agent", {
  input: { messages: [{ role: "human", content: "how do I deploy widgets?" }] },
});
const rejoined = await collect(client.runs.joinStream(threadId, second.run_id, { streamMode: ["values"] }));
seen.rejoinedEvents = [...new Set(rejoined.map((p) => p.event))];

// A slow run, stopped from the client (the page's stop button).
const slow = await client.runs.create(threadId, "agent", {
  input: { messages: [{ role: "human", content: "slow report on widgets" }] },
});
await new Promise((r) => setTimeout(r, 700));
seen.cancelled = (await client.runs.cancel(threadId, slow.run_id, true)).status;
seen.afterCancel = (await client.runs.wait(threadId, "agent", {
  input: { messages: [{ role: "human", content: "what did widgets cost?" }] },
})).messages.at(-1).content;
seen.runsListed = (await client.runs.list(threadId)).length;

console.log(JSON.stringify(seen));
