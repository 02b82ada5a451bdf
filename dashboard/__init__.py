"""The Dash dashboard: pages that show the store's data; callbacks stay thin (inputs → query → builder → output)."""
