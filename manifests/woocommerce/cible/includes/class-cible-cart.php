<?php
/**
 * Cart activity reported to Cible (WooCommerce has no cart resource in its REST API).
 *
 * Cart changes mark the request; at shutdown one signed push describes the cart as it is,
 * sent without waiting for the answer, so the shopper never waits for Cible. An order placed
 * from the cart is reported too, so Cible knows the cart was not abandoned.
 *
 * @package Cible
 */

defined( 'ABSPATH' ) || exit;

/**
 * Cart reports.
 */
class Cible_Cart {

	/**
	 * The event to report at shutdown, if any.
	 *
	 * @var string|null
	 */
	private static $pending = null;

	/**
	 * The order placed in this request, if any.
	 *
	 * @var int
	 */
	private static $order_id = 0;

	/**
	 * Hooks the cart events.
	 */
	public static function init() {
		add_action( 'woocommerce_add_to_cart', array( __CLASS__, 'added' ) );
		add_action( 'woocommerce_cart_updated', array( __CLASS__, 'updated' ) );
		add_action( 'woocommerce_cart_item_removed', array( __CLASS__, 'updated' ) );
		add_action( 'woocommerce_checkout_order_processed', array( __CLASS__, 'ordered' ) );
		add_action( 'woocommerce_store_api_checkout_order_processed', array( __CLASS__, 'ordered' ) );
		add_action( 'shutdown', array( __CLASS__, 'report' ) );
	}

	/**
	 * An item was added.
	 */
	public static function added() {
		self::$pending = 'add_to_cart';
	}

	/**
	 * The cart changed.
	 */
	public static function updated() {
		if ( null === self::$pending ) {
			self::$pending = 'cart_updated';
		}
	}

	/**
	 * An order was placed from the cart.
	 *
	 * @param int|WC_Order $order The order or its id.
	 */
	public static function ordered( $order ) {
		self::$order_id = is_object( $order ) ? (int) $order->get_id() : (int) $order;
		self::$pending  = 'order_placed';
	}

	/**
	 * The id of the shopper's current cart, made when the cart starts.
	 *
	 * @return array{0: string, 1: int} The cart id and when it started.
	 */
	private static function cart_id() {
		$session = WC()->session;
		$id      = $session ? $session->get( 'cible_cart_id' ) : null;
		$started = $session ? (int) $session->get( 'cible_cart_started' ) : 0;
		if ( ! $id ) {
			$id      = wp_generate_uuid4();
			$started = time();
			if ( $session ) {
				$session->set( 'cible_cart_id', $id );
				$session->set( 'cible_cart_started', $started );
			}
		}
		return array( $id, $started );
	}

	/**
	 * The cart as Cible reads it.
	 *
	 * @param string $event The event.
	 * @return array|null
	 */
	public static function payload( $event ) {
		if ( ! function_exists( 'WC' ) || ! WC()->cart ) {
			return null;
		}
		list( $cart_id, $started ) = self::cart_id();
		$items                     = array();
		foreach ( WC()->cart->get_cart() as $line ) {
			$product = isset( $line['data'] ) ? $line['data'] : null;
			if ( ! $product instanceof WC_Product ) {
				continue;
			}
			$terms   = get_the_terms( $product->get_parent_id() ? $product->get_parent_id() : $product->get_id(), 'product_cat' );
			$items[] = array(
				'product_id'   => (int) $line['product_id'],
				'variation_id' => (int) $line['variation_id'],
				'sku'          => (string) $product->get_sku(),
				'name'         => $product->get_name(),
				'category'     => is_array( $terms ) && $terms ? $terms[0]->name : null,
				'quantity'     => (int) $line['quantity'],
				'price'        => wc_format_decimal( $product->get_price(), 2 ),
			);
		}
		$customer = WC()->customer;
		return array(
			'topic'       => 'cible.cart',
			'event'       => $event,
			'event_id'    => wp_generate_uuid4(),
			'occurred_at' => time(),
			'cart'        => array(
				'id'          => $cart_id,
				'customer_id' => get_current_user_id(),
				'email'       => $customer ? (string) $customer->get_billing_email() : '',
				'currency'    => get_woocommerce_currency(),
				'total'       => wc_format_decimal( WC()->cart->get_total( 'edit' ), 2 ),
				'items'       => $items,
				'order_id'    => self::$order_id,
				'started_at'  => $started,
			),
		);
	}

	/**
	 * At shutdown: one non-blocking, signed push for this request's cart activity.
	 */
	public static function report() {
		if ( null === self::$pending || ! Cible_Settings::ready() ) {
			return;
		}
		$payload = self::payload( self::$pending );
		if ( null === $payload ) {
			return;
		}
		if ( 'order_placed' === self::$pending && WC()->session ) {
			// The next cart is a new one.
			WC()->session->set( 'cible_cart_id', null );
			WC()->session->set( 'cible_cart_started', null );
		}
		$settings = Cible_Settings::get();
		$body     = wp_json_encode( $payload );
		wp_remote_post(
			$settings['url'] . '/webhooks/woocommerce/' . rawurlencode( $settings['public_id'] ),
			array(
				'body'        => $body,
				'headers'     => cible_push_headers( $body, time(), $settings['secret'] ),
				'blocking'    => false,
				'timeout'     => 1,
				'data_format' => 'body',
			)
		);
		self::$pending = null;
	}
}
