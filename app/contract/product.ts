/** Names shared by every layer, so the window title, tray tooltip and installer agree. */
export const APP_NAME = 'ZenithFence';
export const APP_ID = 'org.zenithfence.app';
