"""The consumer half of the hub: case intake from approval systems, the outbox to the
provincial platform and e-supervision, the supervision clock and the reports."""
