"""Common (共性) and institutional (体制机制性) problem groups, the three problem lists, similar appeals."""
