<?php
/**
 * Removing the plugin removes its settings. The data Cible copied stays on the Cible server
 * until the merchant removes the shop there (`cible shop remove DOMAIN`).
 *
 * @package Cible
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

delete_option( 'cible_settings' );
