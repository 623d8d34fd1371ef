"""A real SMTP server on loopback (aiosmtpd), and Django's SMTP backend pointed at it."""

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller


class Inbox:
    """Messages the server received: (envelope recipients, parsed message)."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address):
        return [m for rcpts, m in self.received if address in rcpts]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_settings(settings):
    """Django's SMTP backend, aimed at a port on loopback (nothing listens yet)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.SITE_URL = "https://powerco.example"
    return settings


@pytest.fixture
def start_smtp(smtp_settings):
    """Starts the server on the configured port; returns its Inbox."""
    controllers = []

    def start():
        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=smtp_settings.EMAIL_PORT)
        controller.start()
        controllers.append(controller)
        return inbox

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp_server(start_smtp):
    return start_smtp()


def body(message, kind="plain"):
    return message.get_body((kind,)).get_content()


def attachments(message):
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}
