"""Server-rendered pages behind the links in chat messages: the liaison's mobile appeal page (/m/…).

Layout, so that the task-force dashboard can be added beside it:
    templates/base.html        shared shell (inline CSS with a CSP hash, security headers set by web.py)
    templates/m/…              the mobile liaison pages
    static/                    served at /static/ by us (no CDN): base.css, m.js
    web.py                     Jinja environment, asset versions, cookies and security headers (HTTP edge)
    tokens.py                  PURE: link tokens, session ids, CSRF tokens, safe redirects
    present.py                 PURE: labels, countdowns and which page actions to offer
    service.py                 use cases: sessions, link tokens, the appeal page, page actions
    dingtalk.py                the H5 免登 exchange with DingTalk (httpx, app-token cache)
    router.py                  thin routes (excluded from the OpenAPI contract)
"""
