"""Linked-data publishing: dereferenceable IRIs, exports, DCAT/VoID, search, PDPA privacy.

For the HTTP layer (``lcgraph.api.linked_data``) and the command line. Every
public answer is computed over the *public view* of the dataset defined in
:mod:`lcgraph.publish.privacy`: personal data never leaves without a
read-private token.
"""
