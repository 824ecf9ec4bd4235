"""`rapport import`: bring customers in from a CRM or shop export without losing what staff wrote."""
