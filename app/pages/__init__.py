"""Server-rendered pages: the liaison's mobile appeal page (/m/…) behind the links in chat messages, and the
task force's desktop dashboard (/dashboard).

Layout:
    templates/base.html        shared shell (inline CSS with a CSP hash, security headers set by web.py)
    templates/m/…              the mobile liaison pages
    templates/dash/…           the dashboard, its sign-in page and notices
    static/                    served at /static/ by us (no CDN): base.css, dash.css (both inlined), m.js
    web.py                     Jinja environment, asset versions, cookies and security headers (HTTP edge)
    tokens.py                  PURE: link tokens, session ids, CSRF tokens, safe redirects
    present.py                 PURE: labels, countdowns and which page actions to offer
    service.py                 use cases: sessions, link tokens, the appeal page, page actions
    dingtalk.py                the H5 免登 answers as the page shows them (the exchange is accounts.vendors)
    router.py                  thin routes (excluded from the OpenAPI contract)
    charts.py                  PURE: series → inline SVG strings (bars, weekly trend), every text escaped
    markdown.py                PURE: the bulletin's markdown → safe HTML (escape first, then a small subset)
    dash_view.py               the dashboard's read use case: the statistics service's own functions
    board.py                   PURE: the dashboard's figures, charts, links and date ranges
    dash_router.py             GET /dashboard
"""
