<?php
/**
 * The settings page (WooCommerce > Cible): the Cible server's address, the shop's public id
 * and signing secret, a Connect button and a link to Cible.
 *
 * @package Cible
 */

defined( 'ABSPATH' ) || exit;

/**
 * Settings stored in the `cible_settings` option.
 */
class Cible_Settings {

	const OPTION = 'cible_settings';

	/**
	 * Hooks the page and the setting.
	 */
	public static function init() {
		add_action( 'admin_menu', array( __CLASS__, 'menu' ) );
		add_action( 'admin_init', array( __CLASS__, 'register' ) );
	}

	/**
	 * The stored settings, with defaults.
	 *
	 * @return array{url: string, public_id: string, secret: string}
	 */
	public static function get() {
		$stored = get_option( self::OPTION, array() );
		return wp_parse_args(
			is_array( $stored ) ? $stored : array(),
			array(
				'url'       => '',
				'public_id' => '',
				'secret'    => '',
			)
		);
	}

	/**
	 * Whether the storefront script and cart reports can run.
	 *
	 * @return bool
	 */
	public static function ready() {
		$settings = self::get();
		return '' !== $settings['url'] && '' !== $settings['public_id'] && '' !== $settings['secret'];
	}

	/**
	 * The page under the WooCommerce menu.
	 */
	public static function menu() {
		add_submenu_page( 'woocommerce', 'Cible', 'Cible', 'manage_woocommerce', 'cible', array( __CLASS__, 'render' ) );
	}

	/**
	 * The option and its sanitising.
	 */
	public static function register() {
		register_setting(
			'cible',
			self::OPTION,
			array(
				'type'              => 'array',
				'sanitize_callback' => array( __CLASS__, 'sanitize' ),
				'default'           => array(),
			)
		);
	}

	/**
	 * Clean what the form sent; an empty secret field keeps the stored secret.
	 *
	 * @param mixed $input The submitted values.
	 * @return array
	 */
	public static function sanitize( $input ) {
		$current = self::get();
		$input   = is_array( $input ) ? $input : array();
		$secret  = isset( $input['secret'] ) ? preg_replace( '/[^0-9a-f]/', '', strtolower( (string) $input['secret'] ) ) : '';
		return array(
			'url'       => isset( $input['url'] ) ? untrailingslashit( esc_url_raw( trim( (string) $input['url'] ), array( 'https', 'http' ) ) ) : '',
			'public_id' => isset( $input['public_id'] ) ? preg_replace( '/[^A-Za-z0-9_-]/', '', (string) $input['public_id'] ) : '',
			'secret'    => '' !== $secret ? $secret : $current['secret'],
		);
	}

	/**
	 * The page.
	 */
	public static function render() {
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			return;
		}
		$settings = self::get();
		$connect  = '' !== $settings['url']
			? $settings['url'] . '/install/woocommerce?store_url=' . rawurlencode( home_url() )
			: '';
		?>
		<div class="wrap">
			<h1><?php echo esc_html__( 'Cible', 'cible' ); ?></h1>
			<form method="post" action="options.php">
				<?php settings_fields( 'cible' ); ?>
				<table class="form-table" role="presentation">
					<tr>
						<th scope="row"><label for="cible-url"><?php esc_html_e( 'Cible URL', 'cible' ); ?></label></th>
						<td><input id="cible-url" class="regular-text" type="url" name="cible_settings[url]" value="<?php echo esc_attr( $settings['url'] ); ?>" placeholder="https://cible.example.com"></td>
					</tr>
					<tr>
						<th scope="row"><label for="cible-public-id"><?php esc_html_e( 'Shop public id', 'cible' ); ?></label></th>
						<td><input id="cible-public-id" class="regular-text" name="cible_settings[public_id]" value="<?php echo esc_attr( $settings['public_id'] ); ?>"></td>
					</tr>
					<tr>
						<th scope="row"><label for="cible-secret"><?php esc_html_e( 'Signing secret', 'cible' ); ?></label></th>
						<td>
							<input id="cible-secret" class="regular-text" type="password" autocomplete="off" name="cible_settings[secret]" value="" placeholder="<?php echo '' !== $settings['secret'] ? esc_attr__( '(saved; paste a new one to replace it)', 'cible' ) : ''; ?>">
							<p class="description"><?php esc_html_e( 'On the Cible server: cible shop secret YOUR-DOMAIN prints the public id and the secret.', 'cible' ); ?></p>
						</td>
					</tr>
				</table>
				<?php submit_button(); ?>
			</form>
			<?php if ( '' !== $connect ) : ?>
				<p>
					<a class="button button-primary" href="<?php echo esc_url( $connect ); ?>"><?php esc_html_e( 'Connect', 'cible' ); ?></a>
					<a class="button" href="<?php echo esc_url( $settings['url'] . '/admin/' ); ?>" target="_blank" rel="noopener"><?php esc_html_e( 'Open Cible', 'cible' ); ?></a>
				</p>
			<?php endif; ?>
		</div>
		<?php
	}
}
