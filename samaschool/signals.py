"""Events that cross features without importing up the journey.

Lower layers (learning, assessments) send; higher ones (certification) listen. Receivers run
inside the sender's transaction, so what they write commits or rolls back with the event.
"""

from blinker import Namespace

_signals = Namespace()

# Sent with sender=None, user_id=…, course_id=… when a learner completes a lesson or submits a quiz.
progress_made = _signals.signal("progress-made")
