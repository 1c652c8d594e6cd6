"""Server-rendered pages, two sites on one shell: the liaison's mobile appeal page (/m/…, `mobile/`) behind the
links in chat messages, and the task force's desktop dashboard (/dashboard, `dashboard/`). Signing in to either is
app.signin's (sessions, link tokens, CSRF, the sign-in page).

Layout:
    templates/base.html        shared shell (inline CSS with a CSP hash, security headers set by web.py)
    templates/m/…              the mobile liaison pages (and the mobile sign-in page)
    templates/dash/…           the dashboard, its sign-in page and notices
    static/                    served at /static/ by us (no CDN): base.css, dash.css (both inlined), m.js
    web.py                     Jinja environment, asset versions, cookies and security headers (HTTP edge)
    mobile/                    the liaison's page: router, service (chat links, opening and acting on an appeal),
                               view and home (read use cases), PURE present/forms, the 走访登记 form (visit_form)
    dashboard/                 the dashboard: router, view (its read use case), PURE board/charts/markdown
"""
