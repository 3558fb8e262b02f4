<?php
/**
 * The storefront: Cible's loader, deferred, and the signed identity of a logged-in customer.
 *
 * @package Cible
 */

defined( 'ABSPATH' ) || exit;

/**
 * Enqueues the loader on every storefront page.
 */
class Cible_Storefront {

	/**
	 * Hooks the enqueue.
	 */
	public static function init() {
		add_action( 'wp_enqueue_scripts', array( __CLASS__, 'enqueue' ) );
	}

	/**
	 * What the loader reads before it runs: the identity (or null for a visitor).
	 *
	 * @param array $settings The plugin settings.
	 * @return array
	 */
	public static function settings_for_page( $settings ) {
		$identity = null;
		$user_id  = get_current_user_id();
		if ( $user_id > 0 ) {
			$identity = cible_sign_identity( $settings['public_id'], $user_id, time(), $settings['secret'] );
		}
		return array( 'identity' => $identity );
	}

	/**
	 * The loader, deferred so it never blocks the page, and window.cibleSettings before it.
	 */
	public static function enqueue() {
		if ( is_admin() || ! Cible_Settings::ready() ) {
			return;
		}
		$settings = Cible_Settings::get();
		$loader   = $settings['url'] . '/storefront/v1/' . rawurlencode( $settings['public_id'] ) . '/loader.js';
		wp_enqueue_script(
			'cible-loader',
			$loader,
			array(),
			CIBLE_VERSION,
			array(
				'strategy'  => 'defer',
				'in_footer' => false,
			)
		);
		wp_add_inline_script(
			'cible-loader',
			'window.cibleSettings = ' . wp_json_encode( self::settings_for_page( $settings ) ) . ';',
			'before'
		);
	}
}
