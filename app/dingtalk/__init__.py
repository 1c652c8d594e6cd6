"""DingTalk as the liaison's workplace (DESIGN §14): a pure vendor client behind one interface.

Facts and sources: docs/dingtalk.md. Wiring into the outbox is separate work.
"""
