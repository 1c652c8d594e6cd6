"""Signing in to the pages (the mobile page and the dashboard): who a session cookie is, and how one is obtained —
DingTalk 免登, a one-time link from a chat message, an admin's API key.

    models.py       page_session (the SHA-256 of the cookie value), page_link_token (each link opens once)
    service.py      use cases: sign in (three ways), redeem a link, sign out, the current `Viewer`
    tokens.py       PURE: link tokens, session ids, CSRF tokens, safe redirects, the page's URLs
    dingtalk.py     the H5 免登 answers as the page shows them (the exchange is app.accounts.vendors)
    deps.py         `ViewerDep`: the signed-in viewer of a page request
    router.py       POST /m/session/… and the sign-in page, notices, session CSRF for both sites' forms
    handlers.py     retention of expired sessions and link tokens (registered with core by app.wiring)
"""
