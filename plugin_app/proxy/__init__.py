"""App-proxy endpoints: storefront requests a platform forwards to us, signed by it."""
