"""The liaison's mobile page (/m/…): an appeal opened from a chat link, its actions, the home page with the 走访登记
form.

    router.py       thin routes (excluded from the OpenAPI contract); sign-in is app.signin's
    service.py      use cases: the page link in a chat message (`link_for`), the appeal a viewer may open, page actions
    view.py         the appeal page's read use case
    home.py         the home page's read use case (my appeals, my enterprises, the visit form's choices)
    visit_form.py   the 走访登记 form → the visits service, its errors next to their fields
    present.py      PURE: labels, countdowns and which page actions to offer
    forms.py        PURE: posted action forms → ActionIn, errors → readable text
"""
