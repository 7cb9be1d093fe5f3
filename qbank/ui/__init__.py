"""`qbank ui`: a local web app to browse the bank and curate it (Bank, Cluster, Review, Overview pages).

`create_app(settings)` builds the Starlette app; `qbank ui` serves it on 127.0.0.1. Templates and the
stylesheet ship in this package (templates/, static/); no JavaScript or network is needed.
"""
