"""Plan renderers: text (rich), json, markdown. They present a Plan; they decide nothing."""
