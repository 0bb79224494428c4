# src/engine/ops: the operations: stanza, archive push/get, backup, restore, expire, verify, locks.
