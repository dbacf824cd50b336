from django.apps import AppConfig


class ValueTokConfig(AppConfig):
    name = "valuetok"
    verbose_name = "ValueTok platform"
