"""The biology: one module per mechanism, each a set of functions the model's
step calls in a fixed order (see :mod:`model.model`).

cells (the five agent types, state only), growth, recruitment, cd8, treg,
neutrophils_osm, macrophages, interferon_irf7, metastasis, marrow, motility;
the distant organs: bone_niche and lung_niche (shared mechanics in metastatic_colonies).
"""
