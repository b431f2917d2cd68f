"""Notifications (domain.md §8, api.md §18, security.md reliability 1–2).

* :mod:`notifications.fanout` — the expander: every committed ``DomainEvent`` becomes its
  outbox rows (one per recipient and channel), idempotently, in one transaction per event;
* :mod:`notifications.recipients` — who receives a mail (the §8 table, accounts, scope check);
* :mod:`notifications.templates` — the Japanese mails, laid out like seed 000's;
* :mod:`notifications.relay` and :mod:`notifications.mailer` — claim, send over SMTP (or to the
  local mailbox outside production), retry with backoff, dead-letter and alert;
* :mod:`notifications.reminders` — report due/overdue and unanswered-request reminder events;
* :mod:`notifications.admin` — the secretariat's outbox list and requeue;
* :mod:`notifications.broker` — committed events for GraphQL subscriptions, in-process polling
  (SQLite) or PostgreSQL ``LISTEN/NOTIFY``.

The package never imports ``resolvers`` (nor the other way round): both meet only in the
``DomainEvent`` rows and the models.
"""
