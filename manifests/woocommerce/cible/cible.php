<?php
/**
 * Plugin Name:          Cible
 * Plugin URI:           https://github.com/cible-app/cible
 * Description:          Customer segments and on-site popups for your WooCommerce store, served by your own Cible server.
 * Version:              0.1.0
 * Requires at least:    6.5
 * Requires PHP:         7.4
 * Requires Plugins:     woocommerce
 * WC requires at least: 8.0
 * WC tested up to:      9.4
 * Author:               Cible
 * License:              AGPL-3.0-or-later
 * License URI:          https://www.gnu.org/licenses/agpl-3.0.html
 * Text Domain:          cible
 *
 * @package Cible
 */

defined( 'ABSPATH' ) || exit;

define( 'CIBLE_VERSION', '0.1.0' );
define( 'CIBLE_PLUGIN_FILE', __FILE__ );

require_once __DIR__ . '/includes/signing.php';
require_once __DIR__ . '/includes/class-cible-settings.php';
require_once __DIR__ . '/includes/class-cible-storefront.php';
require_once __DIR__ . '/includes/class-cible-cart.php';

// Cible reads orders through the REST API only, so it works with High-Performance Order
// Storage (custom order tables) as well as with orders kept as posts.
add_action(
	'before_woocommerce_init',
	function () {
		if ( class_exists( \Automattic\WooCommerce\Utilities\FeaturesUtil::class ) ) {
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'custom_order_tables', __FILE__, true );
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'cart_checkout_blocks', __FILE__, true );
		}
	}
);

add_action(
	'plugins_loaded',
	function () {
		if ( ! class_exists( 'WooCommerce' ) ) {
			return;
		}
		Cible_Settings::init();
		Cible_Storefront::init();
		Cible_Cart::init();
	}
);
