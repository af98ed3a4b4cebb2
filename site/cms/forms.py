from django import forms

from cms.models import NewsCategory
from people.models import School


class NewsFilterForm(forms.Form):
    school = forms.ModelChoiceField(
        queryset=School.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="All schools",
    )
    category = forms.ModelChoiceField(
        queryset=NewsCategory.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="All categories",
    )
