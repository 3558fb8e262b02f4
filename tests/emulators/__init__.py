"""Platform emulators the tests start on localhost (Shopify, WooCommerce, PrestaShop)."""
