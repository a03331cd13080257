// Signs in through the Account API, then goes back to the page first asked
// for. The gate builds ?return= from a same-site path only; it is checked
// again here so that a crafted link cannot send the browser elsewhere.
const form = document.getElementById('signin');
form.addEventListener('submit', async (event) => {
	event.preventDefault();
	const res = await fetch('/v1/account/sessions/email', {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', 'X-Appwrite-Project': 'demo' },
		credentials: 'same-origin',
		body: JSON.stringify({ email: form.email.value, password: form.password.value }),
	});
	if (!res.ok) {
		const body = await res.json().catch(() => ({}));
		document.getElementById('error').textContent = body.message || 'Sign-in failed.';
		return;
	}
	const target = new URLSearchParams(location.search).get('return') || '/';
	location.assign(target.startsWith('/') && !target.startsWith('//') && !target.startsWith('/\\') ? target : '/');
});
