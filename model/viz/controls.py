"""Display choices shared by the live and replay pages: which field, which tumor shading (no Reset needed)."""

import solara

FIELD_BUTTONS = {"cytokine": "cytokine", "OSM": "osm", "type-I IFN": "interferon", "IFN-γ": "ifn_gamma"}  # button text -> key
SHADING_BUTTONS = {"antigenicity": "antigenicity", "PD-L1": "pd_l1"}
field_choice = solara.reactive("interferon")
shading_choice = solara.reactive("antigenicity")


@solara.component
def DisplayChoices():
    """Field and tumor-shading toggle buttons."""
    field_keys = {v: k for k, v in FIELD_BUTTONS.items()}
    shading_keys = {v: k for k, v in SHADING_BUTTONS.items()}
    with solara.Row(gap="12px", style={"align-items": "center"}):
        solara.Text("Field:")
        solara.ToggleButtonsSingle(value=field_keys[field_choice.value], values=list(FIELD_BUTTONS),
                                   on_value=lambda label: field_choice.set(FIELD_BUTTONS[label]), dense=True)
        solara.Text("Tumor shading:")
        solara.ToggleButtonsSingle(value=shading_keys[shading_choice.value], values=list(SHADING_BUTTONS),
                                   on_value=lambda label: shading_choice.set(SHADING_BUTTONS[label]), dense=True)
