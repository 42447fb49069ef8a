"""Money: prices, the ledger of reservations and settlements, and account balances."""
