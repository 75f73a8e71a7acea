"""The witness's page: ``/witness/<token>``, public (no account: the one-time token is the only key). It shows
the testimony the learner recorded and lets the witness confirm it or correct it in their own words; the answer
is stored as the witness's own statement (lrs.review.witness) and the link is spent.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from lrs.review import witness as service
from lrs.web import sessions
from lrs.xapi.errors import XAPIError

witness_pages = Blueprint("witness", __name__, template_folder="templates")


@witness_pages.before_request
def _csrf() -> None:
    sessions.load_session()
    if request.method == "POST":
        sessions.check_csrf()


@witness_pages.route("/witness/<token>", methods=["GET", "POST"])
def witness_page(token: str) -> Any:
    lrs = sessions.lrs()
    shown = service.open_request(lrs, token)
    if shown is None:
        return render_template("witness_unusable.html"), 404
    if request.method == "GET":
        return render_template("witness.html", shown=shown)
    answer = request.form.get("answer", "")
    correction = request.form.get("correction", "")
    if answer not in ("confirm", "correct"):
        return render_template("witness.html", shown=shown, correction=correction,
                               errors={"answer": "Choose whether the testimony is right as written or needs correcting."}), 400
    try:
        done = service.respond(lrs, token, confirmed=answer == "confirm", correction=correction)
    except XAPIError as error:
        if error.status == 404:
            return render_template("witness_unusable.html"), 404
        return render_template("witness.html", shown=shown, correction=correction,
                               errors={"correction": "Write the testimony as you would give it."}), 400
    return render_template("witness_done.html", done=done, shown=shown)
