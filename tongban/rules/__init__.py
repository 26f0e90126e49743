"""Each entity's rule, once, over a batch's columns (see ``tongban.entities``)."""
