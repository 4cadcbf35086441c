"""Operations: Prometheus metrics (:mod:`.metrics`), OpenTelemetry traces (:mod:`.tracing`), JSON logs
(:mod:`.logs`) and one turn's telemetry in one place (:mod:`.turns`).

Everything is off or cheap by default: metrics are counters in memory until ``/metrics`` is scraped,
traces go nowhere until an OTLP endpoint is configured, logs stay text until ``log_format=json``.
"""
