"""The public pages: the form, the verification link, the status page and the responder's page."""
