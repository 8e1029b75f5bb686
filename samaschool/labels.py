"""What people read for the codes the database stores: course levels, states, audit actions.

Pages never show a stored code itself (`beginner`, `pending`, `payout.line_paid`): they show its
name here, in the reader's language. A code without a name (data from a newer version) shows as
it is rather than failing the page.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LEVEL_NAMES = {"beginner": _l("Beginner"), "intermediate": _l("Intermediate"), "advanced": _l("Advanced")}

POOL_STATUS_NAMES = {"draft": _l("Draft"), "open": _l("Open"), "paused": _l("Paused"), "closed": _l("Closed")}

REVIEW_STATE_NAMES = {"pending": _l("Waiting"), "approved": _l("Approved"), "rejected": _l("Rejected")}

PAYOUT_STATE_NAMES = {"pending": _l("Waiting to be paid"), "paid": _l("Paid"), "failed": _l("Failed")}

AUDIT_ACTION_NAMES = {
    "api_token.created": _l("API token created"),
    "api_token.revoked": _l("API token revoked"),
    "api_token.scope_changed": _l("API token access changed"),
    "certificate.issued": _l("Certificate issued"),
    "certificate.reissued": _l("Credential signed again"),
    "certificate.revoked": _l("Certificate revoked"),
    "certification.saved": _l("Certification saved"),
    "course.import_zip": _l("Course zip imported into the draft"),
    "course.publish": _l("Course published"),
    "course_staff.added": _l("Trainer added to a course"),
    "course_staff.removed": _l("Trainer removed from a course"),
    "course_staff.role_changed": _l("Course trainer's role changed"),
    "earnings.bonus": _l("Bonus added"),
    "payout.batch_created": _l("Payout batch created"),
    "payout.line_failed": _l("Payment marked failed"),
    "payout.line_paid": _l("Payment marked paid"),
    "pool.saved": _l("Pool saved"),
    "pool.worker_reinstated": _l("Worker reinstated"),
    "pool.worker_suspended": _l("Worker suspended"),
    "submission.approved": _l("Submission approved"),
    "submission.rejected": _l("Submission rejected"),
    "user.activated": _l("Account activated"),
    "user.created_admin": _l("First admin created"),
    "user.deactivated": _l("Account deactivated"),
    "user.login": _l("Logged in"),
    "user.login_failed": _l("Failed login"),
    "user.password_changed": _l("Password changed"),
    "user.password_reset": _l("Password reset"),
    "user.payout_account_changed": _l("Payout account changed"),
    "user.payout_account_confirmed": _l("Payout account change confirmed"),
    "user.payout_account_held": _l("Payout account change held"),
    "user.payout_account_rejected": _l("Payout account change refused"),
    "user.payout_account_withdrawn": _l("Payout account change withdrawn"),
    "user.pool_manager_changed": _l("Pool manager permission changed"),
    "user.reset_link_created": _l("Password reset link made"),
    "user.role_changed": _l("Role changed"),
    "user.sessions_ended": _l("Logged out everywhere else"),
}

AUDIT_TARGET_NAMES = {
    "api_tokens": _l("API token"),
    "assignments": _l("Submission"),
    "certificates": _l("Certificate"),
    "certifications": _l("Certification"),
    "courses": _l("Course"),
    "earning_entries": _l("Ledger entry"),
    "payout_batches": _l("Payout batch"),
    "payout_lines": _l("Payment"),
    "pool_suspensions": _l("Suspension"),
    "pools": _l("Pool"),
    "users": _l("User"),
}

LABELS = {
    "level": LEVEL_NAMES,
    "pool_status": POOL_STATUS_NAMES,
    "review_state": REVIEW_STATE_NAMES,
    "payout_state": PAYOUT_STATE_NAMES,
    "audit_action": AUDIT_ACTION_NAMES,
    "audit_target": AUDIT_TARGET_NAMES,
}


def label(kind: str, code: str | None) -> str:
    """The name of `code` among the `kind` codes (a key of LABELS, or `task_type`), or the code
    itself when it has none."""
    if code is None:
        return ""
    if kind == "task_type":
        from samaschool.pools.task_types import REGISTRY  # the task types name themselves

        name = REGISTRY[code].label if code in REGISTRY else None
    else:
        name = LABELS[kind].get(code)
    return str(name) if name is not None else code
