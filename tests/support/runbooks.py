"""The demo runbooks' location and one good runbook in our executable format, shared by the
runbook family's format, execution, tool and agent tests."""

from __future__ import annotations

import textwrap

from tests.support.paths import REPO, SHARED_FIXTURES

UPSTREAM = SHARED_FIXTURES / "runbooks" / "prometheus-operator__runbooks"
DEMO_RUNBOOKS = REPO / "demo" / "runbooks"

GOOD = textwrap.dedent(
    """\
    ---
    title: Widget restart
    applies_to: [component:widget-api, tag:widgets]
    alerts: WidgetDown
    owner: group:default/team-widgets
    params: {replicas: 2}
    ---

    # Widget restart

    When the widget is stuck.

    ## Steps

    1. **Check the widget.** Look at its status first.
       ```portal-agent
       tool: widget_status
       args: {name: "{{ name }}", replicas: "{{ replicas }}"}
       ```
    2. Tell the team in `#widgets`
       before you restart anything: `kubectl -n $NS get pods`.
    3. **Restart it.**
       ```portal-agent
       tool: restart_widget
       args:
         name: "{{ entity }}"
       ```

    ## Escalation

    Page the on-call.
    """
)
