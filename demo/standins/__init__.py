"""Stand-ins for the demo organisation's live systems, speaking their real protocols on loopback."""
