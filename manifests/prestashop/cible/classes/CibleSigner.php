<?php
/**
 * Cible signatures, shared with the Cible server (sync/identity.py).
 *
 * Plain PHP without PrestaShop, so that it can be tested on its own:
 * - a storefront identity is hash_hmac('sha256', "{public_id}:{customer_id}:{ts}", secret);
 * - a push is signed as hash_hmac('sha256', "{ts}.{body}", secret), sent in the headers
 *   X-Cible-Timestamp and X-Cible-Signature: sha256=<hex>.
 *
 * @license AGPL-3.0-or-later
 */
class CibleSigner
{
    /**
     * The signed identity of a logged-in customer, for window.cibleSettings.identity.
     *
     * @return array{customer_id: string, ts: int, sig: string}
     */
    public static function identity($publicId, $secret, $customerId, $ts = null)
    {
        $ts = ($ts === null) ? time() : (int) $ts;
        $customerId = (string) $customerId;
        $message = $publicId . ':' . $customerId . ':' . $ts;

        return [
            'customer_id' => $customerId,
            'ts' => $ts,
            'sig' => hash_hmac('sha256', $message, (string) $secret),
        ];
    }

    /**
     * The headers that sign a push body.
     *
     * @return array<string, string>
     */
    public static function pushHeaders($secret, $body, $ts = null)
    {
        $ts = ($ts === null) ? time() : (int) $ts;

        return [
            'X-Cible-Timestamp' => (string) $ts,
            'X-Cible-Signature' => 'sha256=' . hash_hmac('sha256', $ts . '.' . $body, (string) $secret),
        ];
    }

    /**
     * The storefront loader's address on the Cible server.
     */
    public static function loaderUrl($cibleUrl, $publicId)
    {
        return rtrim((string) $cibleUrl, '/') . '/storefront/v1/' . rawurlencode((string) $publicId) . '/loader.js';
    }

    /**
     * The address our pushes go to.
     */
    public static function pushUrl($cibleUrl, $publicId)
    {
        return rtrim((string) $cibleUrl, '/') . '/webhooks/prestashop/' . rawurlencode((string) $publicId);
    }

    /** Whether the settings look right (checked by the configuration page). */
    public static function validUrl($url)
    {
        if (!is_string($url) || filter_var($url, FILTER_VALIDATE_URL) === false) {
            return false;
        }
        $scheme = strtolower((string) parse_url($url, PHP_URL_SCHEME));

        return $scheme === 'https' || $scheme === 'http';
    }

    public static function validPublicId($publicId)
    {
        return is_string($publicId) && preg_match('/^[A-Za-z0-9_-]{8,32}$/', $publicId) === 1;
    }

    public static function validSecret($secret)
    {
        return is_string($secret) && preg_match('/^[0-9a-f]{64}$/', $secret) === 1;
    }
}
