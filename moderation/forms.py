"""Forms of the creator's moderation pages."""

from django import forms


class AppealForm(forms.Form):
    statement = forms.CharField(
        label="Why is this flag wrong?",
        widget=forms.Textarea(attrs={"rows": 6}),
        min_length=10,
        max_length=4000,
        help_text="Tell the Trust & Safety team what they should know. You can appeal each flag once.",
    )
