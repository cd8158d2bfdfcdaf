from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, widgets
from wtforms.validators import InputRequired

from app.web.forms import TrustForm


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def ballot_form(
    method: str, options: list[tuple[str, str]], seats: int, **kwargs: Any
) -> FlaskForm:
    """A ballot form for one vote; validation of the selection itself is the ballots core's."""

    class BallotForm(TrustForm):
        pass

    if method == "approval":
        field: Any = MultiCheckboxField(
            _l("Choose up to %(n)s", n=seats), choices=options, validators=[InputRequired()]
        )
    else:
        field = RadioField(_l("Your choice"), choices=options, validators=[InputRequired()])
    BallotForm.choice = field
    return BallotForm(**kwargs)
