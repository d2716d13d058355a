"""Development settings: the embedded default unless the environment says otherwise."""

from llmhub.settings.base import *  # noqa: F403
from llmhub.settings.env import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
