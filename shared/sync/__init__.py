"""Incremental sync: push messages, sync passes, per-event changes, write-back, sweep.

The model, in short: a push message only says "this calendar changed". The calendar's
sync lease holder lists the changes since the stored sync token (every page), applies
each change of a mapped event to its meeting, and stores the new token only after all
were applied; a transient failure keeps the old token (the same changes are applied
again later, harmlessly). See docs/sync-model.md.
"""
