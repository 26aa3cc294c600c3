"""Administrative areas (district, town, village, grid), boundary generations, H3 cells."""
