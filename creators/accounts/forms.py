"""Forms of the account pages: shape checks here; the rules live in the services, which forms may ask early."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from creators.accounts.services import email_verification_pending, signup_validate
from creators.models import User


class PlainLabels:
    """Labels without Django's trailing colon, as on every other page of the site."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


SIGNUP_FIELDS = ("email", "password", "handle", "display_name", "country")
HANDLE_HELP = "1 to 30 lower-case letters, digits, '_' or '.', starting and ending with a letter or digit."


class SignupForm(PlainLabels, forms.Form):
    email = forms.EmailField(label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password_confirm = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Type the same password again, to be sure it is the one you meant.",
    )
    display_name = forms.CharField(
        label="Display name",
        max_length=80,
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
        help_text="The name people see on your videos.",
    )
    handle = forms.CharField(
        label="Handle",
        max_length=31,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}),
        help_text=f"Your @name. {HANDLE_HELP}",
    )
    country = forms.CharField(
        label="Country",
        min_length=2,
        max_length=2,
        widget=forms.TextInput(attrs={"autocomplete": "country", "autocapitalize": "characters", "size": 3}),
        help_text="Two-letter ISO code, such as GB, US or DE.",
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password_confirm") and data["password"] != data["password_confirm"]:
            self.add_error("password_confirm", "The two passwords differ; type the same password twice.")
        # The service's rules too (handle format and uniqueness, country, password strength), so that
        # every problem shows at once; the service checks them again when it writes.
        try:
            signup_validate(**{name: data.get(name, "") for name in SIGNUP_FIELDS})
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                if field not in self.errors:
                    self.add_error(field, messages)
        return data


class LoginForm(AuthenticationForm):
    """Django's sign-in form, telling an unverified sign-up why it cannot sign in yet."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Your email and password did not match. Please try again.",
        "unverified": "Your email address is not verified yet. Open the link we emailed you, or ask for a new one.",
    }

    def __init__(self, request=None, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "Email"
        username = self.fields["username"]
        username.widget = forms.EmailInput(attrs={**username.widget.attrs, "autocomplete": "email"})
        self.unverified = False

    def clean(self):
        # A sign-in that succeeds hashes the password once (in authenticate); only a refused one is
        # looked at again, to tell an unverified sign-up why.
        try:
            return super().clean()
        except ValidationError as exc:
            if exc.code == "invalid_login" and self._unverified_with_this_password():
                self.unverified = True
                raise ValidationError(self.error_messages["unverified"], code="unverified") from None
            raise

    def _unverified_with_this_password(self) -> bool:
        """Only someone who knows the password learns that the account waits for verification."""
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not (email and password):
            return False
        user = User.objects.filter(email__iexact=User.objects.normalize_email(email)).first()
        return (
            user is not None
            and user.is_active
            and user.check_password(password)
            and email_verification_pending(user=user)
        )


class ResendVerificationForm(PlainLabels, forms.Form):
    email = forms.EmailField(label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))


EXPIRY_CHOICES = [("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year"), ("never", "Never")]


class ApiTokenCreateForm(PlainLabels, forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What will use it, such as 'upload script' or 'analytics export'.",
    )
    expires_in = forms.ChoiceField(
        label="Expires", choices=EXPIRY_CHOICES, initial="90", help_text="A token stops working when it expires."
    )
