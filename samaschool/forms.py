"""Forms shared by every feature."""

from flask_wtf import FlaskForm


class ActionForm(FlaskForm):
    """A button that changes something: it carries only the CSRF token."""
