"""Domain errors. Services raise them; views turn them into messages and status codes."""


class DomainError(Exception):
    """A rule of the platform said no. `str(error)` is a message fit for the user."""


class EmailTaken(DomainError):
    pass


class InvalidCredentials(DomainError):
    pass


class InvalidToken(DomainError):
    pass


class NotAllowed(DomainError):
    pass


class WeakPassword(DomainError):
    pass
