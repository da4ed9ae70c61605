"""The request-flow preview: flow view, "Try a request", traffic split chart and rule order.

``install(window, document)`` adds the panels to the main window through its ``add_panel`` hook.
"""
