"""The dashboard: static HTML, CSS and JavaScript served by ``backlinks serve`` (no CDN, no
framework). It reads everything from the HTTP API; nothing is computed here."""
