<?php
/**
 * Signatures Cible verifies (sync/identity.py on the Cible server). Pure PHP, no WordPress
 * function, so the same file is checked against Python by Cible's tests.
 *
 * @package Cible
 */

defined( 'ABSPATH' ) || exit;

/**
 * The storefront identity of a logged-in customer: Cible trusts the customer id only when
 * this signature verifies with the shop's secret and the timestamp is recent.
 *
 * @param string     $public_id   The shop's public id in Cible.
 * @param string|int $customer_id The WordPress user id of the customer.
 * @param int        $ts          Unix time of signing.
 * @param string     $secret      The shop's signing secret (from `cible shop secret`).
 * @return array{customer_id: string, ts: int, sig: string}
 */
function cible_sign_identity( $public_id, $customer_id, $ts, $secret ) {
	$customer_id = (string) $customer_id;
	$ts          = (int) $ts;
	return array(
		'customer_id' => $customer_id,
		'ts'          => $ts,
		'sig'         => hash_hmac( 'sha256', "$public_id:$customer_id:$ts", $secret ),
	);
}

/**
 * Headers of a signed push: the HMAC covers the timestamp and the raw body, so a push
 * cannot be altered nor replayed later.
 *
 * @param string $body   The raw JSON body as sent.
 * @param int    $ts     Unix time of sending.
 * @param string $secret The shop's signing secret.
 * @return array<string, string>
 */
function cible_push_headers( $body, $ts, $secret ) {
	$ts = (int) $ts;
	return array(
		'Content-Type'      => 'application/json',
		'X-Cible-Timestamp' => (string) $ts,
		'X-Cible-Signature' => 'sha256=' . hash_hmac( 'sha256', $ts . '.' . $body, $secret ),
	);
}
