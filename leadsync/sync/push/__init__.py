"""Speed to lead: changes pushed by the CRMs (webhooks, change streams) start a targeted mini-cycle
within seconds; polling stays as the reconciliation that guarantees nothing is missed."""
