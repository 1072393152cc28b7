/* When the server says the session is over (401 on a Dash request), go to the login page. */
(function () {
    const originalFetch = window.fetch.bind(window);
    window.fetch = function (resource, init) {
        return originalFetch(resource, init).then(function (response) {
            const url = typeof resource === "string" ? resource : (resource && resource.url) || "";
            if (response.status === 401 && url.indexOf("_dash-") !== -1) {
                const next = encodeURIComponent(window.location.pathname + window.location.search);
                window.location.assign("/login?expired=1&next=" + next);
            }
            return response;
        });
    };
})();
