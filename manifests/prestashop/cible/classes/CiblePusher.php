<?php
/**
 * Sends one signed push to Cible, briefly: the shop must never wait for us.
 *
 * A push that fails (Cible down, slow network) is dropped: the Cible server reads the
 * same data when it next polls the Webservice, so nothing is lost, only delayed.
 *
 * @license AGPL-3.0-or-later
 */
require_once __DIR__ . '/CibleSigner.php';

class CiblePusher
{
    /** Seconds we allow a push in total (connection included). */
    const TIMEOUT = 2;

    /**
     * Build the JSON document of one event.
     */
    public static function body($event, $objectName, array $object)
    {
        return json_encode([
            'event' => (string) $event,
            'event_id' => bin2hex(random_bytes(16)),
            'sent_at' => time(),
            $objectName => $object,
        ], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
    }

    /**
     * POST the event; returns the HTTP status (0 when nothing answered). Never throws.
     */
    public static function send($cibleUrl, $publicId, $secret, $event, $objectName, array $object)
    {
        try {
            $body = self::body($event, $objectName, $object);
            if ($body === false) {
                return 0;
            }
            $headers = CibleSigner::pushHeaders($secret, $body);
            $headers['Content-Type'] = 'application/json';
            $headers['User-Agent'] = 'CiblePrestaShop/1.0';

            return self::post(CibleSigner::pushUrl($cibleUrl, $publicId), $body, $headers);
        } catch (\Throwable $error) {
            return 0;
        }
    }

    private static function post($url, $body, array $headers)
    {
        $lines = [];
        foreach ($headers as $name => $value) {
            $lines[] = $name . ': ' . $value;
        }
        if (function_exists('curl_init')) {
            $curl = curl_init($url);
            curl_setopt_array($curl, [
                CURLOPT_POST => true,
                CURLOPT_POSTFIELDS => $body,
                CURLOPT_HTTPHEADER => $lines,
                CURLOPT_RETURNTRANSFER => true,
                CURLOPT_CONNECTTIMEOUT => 1,
                CURLOPT_TIMEOUT => self::TIMEOUT,
            ]);
            curl_exec($curl);
            $status = (int) curl_getinfo($curl, CURLINFO_HTTP_CODE);
            curl_close($curl);

            return $status;
        }
        $context = stream_context_create(['http' => [
            'method' => 'POST',
            'header' => implode("\r\n", $lines),
            'content' => $body,
            'timeout' => self::TIMEOUT,
            'ignore_errors' => true,
        ]]);
        $stream = @fopen($url, 'r', false, $context);
        if ($stream === false) {
            return 0;
        }
        $meta = stream_get_meta_data($stream);
        fclose($stream);
        $status = 0;
        foreach ($meta['wrapper_data'] ?? [] as $line) {
            if (preg_match('#^HTTP/\S+\s+(\d{3})#', (string) $line, $match)) {
                $status = (int) $match[1];
            }
        }

        return $status;
    }
}
