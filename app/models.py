"""Imports every table model module so that SQLModel.metadata (and Alembic) sees the whole schema.

One line per domain; defines nothing."""

import app.accounts.models  # noqa: F401
import app.appeals.models  # noqa: F401
import app.attachments.models  # noqa: F401
import app.auth.models  # noqa: F401
import app.callbacks.models  # noqa: F401
import app.chatbot.models  # noqa: F401
import app.core.models  # noqa: F401
import app.enterprises.models  # noqa: F401
import app.notifications.models  # noqa: F401
import app.pairing.models  # noqa: F401
import app.policies.models  # noqa: F401
import app.problems.models  # noqa: F401
import app.signin.models  # noqa: F401
import app.sla.models  # noqa: F401
import app.stats.models  # noqa: F401
import app.units.models  # noqa: F401
import app.visits.models  # noqa: F401
import app.dingtalk.models  # noqa: F401
